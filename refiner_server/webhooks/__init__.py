"""Signed webhooks (Standard Webhooks) with an outbox in the database.

A write of the client API enqueues one delivery per subscribed endpoint in its own
transaction (`outbox`); a worker in each server process (or `refiner-server webhooks
deliver`) claims endpoints one process at a time and delivers their queue in order, at least
once, with retries (`worker`). Admin API: `api`; dashboard pages: `pages`. docs/webhooks.md.
"""
