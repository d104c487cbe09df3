"""Kitchen tickets on the shops' cloud receipt printers (飞鹅云): a shop binds its printer, and every order it
confirms prints there, once (docs/adr/0022)."""
