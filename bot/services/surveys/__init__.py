"""Satisfaction: the survey after every resolved ticket, the complaint follow-up on
unhappy residents, and the periodic questionnaire (manual 2.3–2.4, 4.1–4.4,
appendix B). What is stored and how to read it: docs/surveys.md.

- ``invitations``: who was asked (hooked into ``lifecycle.resolve``);
- ``post_ticket``: "is it fixed?" → rating → reasons → comment → closed, or
  not fixed → re-opened; reminders, auto-close and abandoned answers;
- ``answers``: the question keys of the ticket survey, and a ticket's answers read back;
- ``complaints``: a low rating opens a linked follow-up ticket for the managers;
- ``campaigns``: questionnaire campaigns, started by managers or on a schedule.
"""
