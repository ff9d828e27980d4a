"""Production sign-in through WeCom (ADR 0022): 网页授权 inside WeCom, 扫码登录 on a
desktop; the WeCom user id maps to a Person, Ducha mints its own short-lived token and
renews it with an HttpOnly refresh cookie. The development sign-in is tasks/devsignin."""
