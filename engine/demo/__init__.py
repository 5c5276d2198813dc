"""Demo data: a Zhoushan agency tree with users, and a simulator that runs cases end to end."""
