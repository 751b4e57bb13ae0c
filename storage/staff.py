"""The staff list."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import StaffMember


def get_staff(session: Session, platform: str, user_id: str) -> StaffMember | None:
    """The active staff member with this identity, if any."""
    return session.exec(
        select(StaffMember).where(
            StaffMember.platform == platform, StaffMember.user_id == user_id, StaffMember.active == True  # noqa: E712
        )
    ).first()


def find_staff(session: Session, ref: str, platform: str) -> StaffMember | None:
    """Find an active staff member by `@username`, user id, or `platform:user_id`."""
    ref = ref.strip()
    query = select(StaffMember).where(StaffMember.active == True)  # noqa: E712
    if ref.startswith("@"):
        query = query.where(StaffMember.username == ref[1:])
    elif ":" in ref:
        plat, _, user = ref.partition(":")
        query = query.where(StaffMember.platform == plat, StaffMember.user_id == user)
    else:
        query = query.where(StaffMember.platform == platform, StaffMember.user_id == ref)
    return session.exec(query).first()


def add_staff(session: Session, platform: str, user_id: str, *, name: str | None = None,
              username: str | None = None, is_admin: bool = False, added_by: str | None = None) -> StaffMember:
    """Add (or reactivate) a staff member."""
    member = session.exec(
        select(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    ).first()
    if member is None:
        member = StaffMember(platform=platform, user_id=user_id)
    member.active = True
    member.name = name or member.name
    member.username = username or member.username
    member.is_admin = is_admin or member.is_admin
    member.added_by = added_by
    session.add(member)
    session.flush()
    return member


def remove_staff(session: Session, member: StaffMember) -> None:
    """Deactivate a staff member (kept for the audit trail)."""
    member.active = False
    session.add(member)


def list_staff(session: Session) -> list[StaffMember]:
    """Active staff, admins first."""
    rows = session.exec(select(StaffMember).where(StaffMember.active == True))  # noqa: E712
    return sorted(rows, key=lambda m: (not m.is_admin, m.platform, m.user_id))
