"""The satisfaction survey (해피콜; 민원처리법 제26조, 공운법 제13조②): one invitation per answered ticket, one rating
of 1–5 with an optional comment, taken only by an explicit submit (a link preview's GET never votes).

Pure: the invitation's token is made by the caller (``new_token``) and only its hash is kept, so the table
cannot be used to vote."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.errors import SurveyRefused
from bot.pii import mask

RATINGS = range(1, 6)
COMMENT_CHARS = 1000
CHOICE = "survey"  # chat choice ids: survey:<number>:<rating>
FOLLOW_UP = "followup"  # chat choice id: followup:<number>


class FollowUp(StrEnum):
    NONE = "none"
    OFFERED = "offered"  # a low rating: the customer was offered a second look
    REOPENED = "reopened"  # the customer (or staff) reopened the ticket from there


@dataclass
class Survey:
    number: str
    ticket_id: int
    customer_id: int
    channel: str
    token_hash: str
    invited_at: datetime
    expires_at: datetime
    rating: int | None = None
    comment: str = ""
    rated_at: datetime | None = None
    via: str = ""  # web | chat
    follow_up: FollowUp = FollowUp.NONE
    id: int | None = None

    @property
    def rated(self) -> bool:
        return self.rating is not None

    def rate(self, rating: int, comment: str, now: datetime, via: str, low_score: int) -> bool:
        """Take the rating; True when it is low (the department is alerted, a follow-up offered)."""
        if self.rated:
            raise SurveyRefused(f"{self.number} has already been rated")
        if now > self.expires_at:
            raise SurveyRefused(f"the survey of {self.number} has expired")
        if rating not in RATINGS:
            raise SurveyRefused("a rating is a whole number from 1 to 5")
        self.rating, self.comment, self.rated_at, self.via = rating, mask(comment.strip())[:COMMENT_CHARS], now, via
        low = rating <= low_score
        if low:
            self.follow_up = FollowUp.OFFERED
        return low

    def reopened(self) -> None:
        if self.follow_up is not FollowUp.OFFERED:
            raise SurveyRefused(f"no follow-up was offered for {self.number}")
        self.follow_up = FollowUp.REOPENED


def new_token() -> str:
    """An unguessable token for the survey link (192 random bits)."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite(*, number: str, ticket_id: int, customer_id: int, channel: str, token: str, now: datetime,
           valid_days: int) -> Survey:
    return Survey(number=number, ticket_id=ticket_id, customer_id=customer_id, channel=channel,
                  token_hash=token_hash(token), invited_at=now, expires_at=now + timedelta(days=valid_days))


def rating_choice(number: str, rating: int) -> str:
    return f"{CHOICE}:{number}:{rating}"


def parse_rating_choice(value: str) -> tuple[str, int] | None:
    """``VOC-2026-000001:5`` (the part after ``survey:``) → (number, 5)."""
    number, _, rating = value.rpartition(":")
    return (number, int(rating)) if number and rating.isdigit() else None
