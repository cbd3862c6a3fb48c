"""A real Samba AD DC for the on-premises directory tests: provisioning, seeding, fixtures."""
