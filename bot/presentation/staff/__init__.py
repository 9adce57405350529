"""What staff see: the ticket card, its details, the queue, and the menus a card opens."""
