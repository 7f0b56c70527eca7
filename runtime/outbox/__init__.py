"""Notifications and webhooks, sent from an outbox that is the committed event log itself.

Why the log is the outbox: a command's events are appended and fdatasync'd before it answers, so
they are already the one durable record written "with the event that caused it". A second outbox
table written in the same commit would be a copy of what the events say. So each delivery is
*derived* from a committed event by pure functions (`audience` for people, `webhooks.plan` for
endpoints) and named by what causes it: `<event seq>.<channel>.<recipient>` (channel `email` or
`hook`, recipient a username or a webhook id). Nothing about a delivery is stored until it is
attempted: `log.DeliveryLog` (`<data>/deliveries.jsonl`, and `webhook-deliveries.jsonl` for the
courier; append-only, fdatasync'd) records every attempt with its outcome and next retry, and now
and then the watermark below which every delivery is settled (sent, or failed for good).

On start-up the dispatcher replays the batches after that watermark, skipping each delivery the
log already has as sent: a crash loses none, and a delivery logged ok is never sent again. One
that was sent but not yet logged when the process died is sent once more with the same identity
(email Message-ID, webhook `Formflow-Event-Id`), so receivers drop the repeat.

A command never waits for a send: `Workflow.on_commit` only puts the batch on a queue; a thread
folds it into the in-app board (memory) and hands it to email's dispatcher and to the webhook
relay, which passes the planned deliveries to the courier, a process of its own. Email and each
webhook endpoint have their own worker thread and retry schedule, so a slow or dead endpoint
delays only its own deliveries.

Modules, one job each: `notices` (kinds, groups, sentences), `audience` (who is told of a batch),
`prefs` (per-person channels, quiet hours, language), `board` (the in-app list and read state),
`log` (the delivery logs), `retry` (backoff), `mail` (composing and sending email), `webhooks`
(registry, payload, signature, sending), `dispatcher` (threads and queues), `relay` and `courier`
(the server's and the courier process's sides of webhooks), `center` and `setup` (wiring).
"""
