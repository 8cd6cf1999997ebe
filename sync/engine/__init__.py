"""The sync engine: one cycle (pull → store → compute → diff → push) and what it needs."""
