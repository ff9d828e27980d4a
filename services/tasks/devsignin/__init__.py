"""Development sign-in: the web console lists the district's people by role and mints a token
for the one picked. Refused unless DEV_MODE (production signs in through WeCom)."""
