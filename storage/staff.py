"""The staff list."""

from __future__ import annotations

from sqlmodel import Session, func, select

from storage.models import StaffMember


def get_staff(session: Session, platform: str, user_id: str) -> StaffMember | None:
    """The active staff member with this identity, if any."""
    return session.exec(
        select(StaffMember).where(
            StaffMember.platform == platform, StaffMember.user_id == user_id, StaffMember.active == True  # noqa: E712
        )
    ).first()


def find_staff(session: Session, ref: str, platform: str) -> StaffMember | None:
    """An active staff member by `@username`, `@user_id`, `platform:user_id` or a bare user id.

    A bare or `@` reference is looked up on `platform` first, then on any platform (`@canbo1` finds the member
    added as `console:canbo1` whose username is not known).
    """
    ref = ref.strip()
    active = select(StaffMember).where(StaffMember.active == True)  # noqa: E712
    if ":" in ref and not ref.startswith("@"):
        plat, _, user = ref.partition(":")
        return session.exec(active.where(StaffMember.platform == plat, StaffMember.user_id == user)).first()
    name = ref.removeprefix("@")
    if not name:
        return None
    members = list(session.exec(active.where(
        (StaffMember.user_id == name) | (func.lower(StaffMember.username) == name.lower())
    )))
    members.sort(key=lambda m: (m.platform != platform, m.username is None or m.username.lower() != name.lower()))
    return members[0] if members else None


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
