"""Small helpers shared by every module (atomic files, seeding, provenance)."""
