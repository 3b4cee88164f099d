"""`clinops scheduler`: proactive jobs (certification reminders, managers' digests), run by
exactly one process at a time (a Redis lock), from a persistent APScheduler job store."""
