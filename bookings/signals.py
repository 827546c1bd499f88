"""What the booking domain announces besides lifecycle transitions (those are
``bookings.lifecycle.booking_transitioned``), for higher apps to answer.

- ``review_created(sender=Review, review=...)``: a client reviewed a booking; sent inside the
  review's transaction, so a receiver's own work should wait for the commit (chat pushes a
  live notification to the pro with ``chat.notifications.notify_user``, which does).
- ``waitlist_offered(sender=WaitlistOffer, offer=...)``: a freed time is held for a waiting
  client; sent inside the transaction that made the offer (chat pushes it to the client's open
  pages after the commit).
"""

from django.dispatch import Signal

review_created = Signal()
waitlist_offered = Signal()
