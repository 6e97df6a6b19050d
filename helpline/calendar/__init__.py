"""Calendar math that knows nothing of tickets, people or plans.

The bottom layer, beside `helpline.lib`: business-hours arithmetic on plain
schedule views (`schedule`), and weekly spans of hours with their overlap rules
(`spans`), which both an SLA plan's opening hours and an agent's shifts are made
of. It imports no Helpline app, so accounts (shifts, availability) and sla (plans,
due times) can both build on it without depending on each other.
"""
