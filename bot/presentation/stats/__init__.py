"""Managers' statistics as people see them: the chat report (``texts``), the chart
(``chart``) and the XLSX/CSV files (``export``), from the domain's figures
(``bot.services.stats``)."""
