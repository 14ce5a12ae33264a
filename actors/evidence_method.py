"""The method note that goes with every view and export of the evidence: what each figure
means, how it was protected and what it cannot tell — what a health economist needs to reuse
the figures."""

from __future__ import annotations

METHOD = """\
SHaRON evidence of benefit: method note

Scope. Figures are per subnet, per calendar month (UTC), per trust. Each trust counts only its
own people: the invitations it issued, the visits and posts of its members, the moderation
decisions it made and the alerts it raised. The network view adds the trusts' figures.

Definitions.
- Invited: invitations naming the subnet created in the month (only the subnet's host issues
  invitations into it).
- Activated: those invitations used (the person joined) in the month.
- Time from invitation to first visit: invitation created to invitation used (joining is the
  first visit), median hours, of those activated in the month.
- Active: this trust's people who opened the subnet or wrote in it in the month.
- Came only once: of those activated in the month, people whose visits and posts so far all
  fall on one day (a recent month will show more of them than it will later).
- Activity: each clock hour in which a person opened the subnet, plus each post or reply.
  Out of hours: 17:00-09:00 UK time, Saturdays, Sundays and bank holidays in England and Wales
  (the `holidays` library's calendar).
- First reply: for posts (not replies) written in the month, the earliest reply by someone else,
  from any trust; by staff when its author is a clinician or admin of this trust or a moderator
  of the subnet, else by a peer; in or out of hours by when the post was written. Median hours.
- Moderation queue: posts held for a moderator and approved or refused in the month, from being
  written (or arriving from another trust) to the decision. Median hours.
- Alerts: crisis-screening alerts about posts written in the subnet in the month; per 1,000
  posts written there in the month; time to acknowledge, median hours.

Suppression (before any figure is shown or leaves a trust's node). Counts of 1-7 are shown as
*, 0 as 0, every other count rounded to the nearest 5 (the NHS secondary-care rule). Where
counts add up (activity in hours + out of hours = activity; a survey question's answers and
their total), a total is hidden whenever one of its parts is, and a lone hidden count takes
the smallest other with it (secondary suppression), so no hidden count can be worked out from
a total; * therefore means "1-7, or hidden to protect another". Shares are computed from the
rounded counts. A median is shown only when its count is shown and there are at least 8
values. Partner trusts send only these suppressed figures; network totals are sums of them,
shown as "at least" (>=) when a part was hidden.

Network medians. A median cannot be pooled from medians, so with each median a trust also sends
a coarse distribution: how many of its times fall at or under 0.25, 1, 4, 8, 24, 72 and 168
hours (cumulative counts; the last bin is "over 168 hours"). Suppression: edge by edge from the
shortest, an edge is sent only when the times since the last edge sent and the times above it
are each 0 or at least 8 (else it is *, merged with the next bin), and every count sent is
rounded to the nearest 5; the whole distribution is * when the figure's count is *, or when an
edge of the bin holding the trust's own median is * (with the median beside it, that edge could
be worked out). So no bin of 1-7 times can be worked out from what is shown. The network median
adds the trusts' counts at each edge (where a trust sent * for an edge, its count there is only
known to lie between its neighbours) and is shown as the interval where the cumulative count
first reaches half the total (e.g. "1 to 4 hours"), not interpolated; wider than one bin when
edges were *. It is * when only trusts with too few times had any; the page and exports name the
trusts pooled, those left out for too few times, and those on an older version that send no
distributions (their counts still add to the totals).

Limits. Rounding makes small changes invisible and totals may not equal the sum of rounded
parts; a network median from rounded counts can land one bin away from the true one, and it
leaves out the times of trusts with too few of them. Visits are counted by clock hour, not
minutes spent. Staff replies from another trust count as staff only when the replier moderates
the subnet. Deleted accounts and posts leave the figures. The survey measures those who chose to
answer. These are service figures, not outcomes: compare like with like (same subnet, months,
trusts) and beware small subnets.
"""
