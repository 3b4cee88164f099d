"""The bot's notifier: reads service events from the Redis Stream and announces them in Slack.

stream.py (consumer group, posted records, dead letters), pacing.py (about one post per second
per channel), announcements.py (event → the post), notifier.py (the loop), process.py (the
`clinops notifier` process).
"""
