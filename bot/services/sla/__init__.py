"""The company's promise: deadlines, warnings and the escalation ladder."""
