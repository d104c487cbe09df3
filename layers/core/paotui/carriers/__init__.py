"""Third-party carriers (Dada first): they deliver the orders of merchants who chose one (docs/adr/0012).

``interface`` is what a carrier adapter implements, ``dada`` the Dada adapter,
``service`` what the platform does with carriers (hand an order over, withdraw
it, follow the carrier's statuses), ``api`` the carriers' callback routes.
"""
