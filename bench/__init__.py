"""ClinOps benchmarks: each measures ClinOps beside its ceiling in the same run (`make bench`)."""
