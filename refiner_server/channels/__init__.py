"""Where a survey is asked besides the snippet: its link page `/s/{project}/{survey}`
(`page`) and the one-time links minted per person (`links`, spent in `db.link_uses`).
docs/channels.md."""
