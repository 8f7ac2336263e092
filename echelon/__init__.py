"""Echelon (梯次): plan, run and supervise a staggered campaign across a large organization."""
