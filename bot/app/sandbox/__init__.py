"""A local sandbox: the real bot against the fake Bot API, with a web page of chat panes.

``resident-bot sandbox`` (and ``make run`` without a token) starts it. The pieces:
``cast`` (who is in the sandbox), ``clock`` (a clock the viewer moves forward),
``runtime`` (the fake Telegram server and the unmodified Application in one process),
``seed`` (the first start's residents and tickets, made by fake users talking to the
bot), ``view`` (what each pane shows, as Telegram would render it) and ``web`` (the
page and its small JSON API).
"""
