"""ClinOps: the command line and the generated gRPC contracts (clinops.<service>.v1)."""
