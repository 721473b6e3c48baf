"""What the site's backend calls, with a server key of one project: the server API
(`routes`: identify-user, track-event) and a Segment-compatible source (`segment`); the
keys themselves (`keys`) and their dashboard page (`pages`)."""
