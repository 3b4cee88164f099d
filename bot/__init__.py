"""The ClinOps Slack bot: Bolt listeners, Block Kit builders, service clients.

Never imports services.*: the bot talks to the services over gRPC only."""
