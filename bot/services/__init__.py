"""Domain logic. Plain async Python on a SQLAlchemy session; nothing here imports aiogram."""
