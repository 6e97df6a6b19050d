"""Outbound mail: templates administrators edit, an outbox written with each ticket
change, and a worker task that sends it with retries.

What other apps call:

- `helpline.notify.addresses.is_own_address(addr)`, `own_addresses()`,
  `add_own_address_source(fn)`: never answer or autorespond to ourselves.
- `helpline.notify.lookup.ticket_for_message_ids(*headers)`: the ticket a reply
  answers, from its In-Reply-To/References.
- `helpline.notify.rendering.marker_starts`: how the reply-above-this-line marker
  starts, in every language (intake cuts replies there).
- `helpline.notify.sending.send_due()`: the worker's periodic sweep.
"""
