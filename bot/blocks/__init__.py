"""Pure Block Kit builders: data in, blocks out; testable without Slack."""
