class Helpdesk:
    pass
