"""Knowledge-base records: agencies and administrative procedures."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.packed import PackedTexts


class _Record(BaseModel):
    """Common settings: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Agency(_Record):
    """An office that receives procedures: where to go and whom to call."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    name_en: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: str | None = None
    hours_en: str | None = None
    portal_url: str | None = None
    topics: list[str] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)
    note: str | None = None

    def is_uncertain(self, field: str) -> bool:
        """Whether the data marks this field as needing a check."""
        return field in self.uncertain


class Channels(_Record):
    """Ways a citizen can file: in person, online, by post."""

    in_person: bool = True
    online: bool = False
    post: bool = False


class Procedure(_Record):
    """One administrative procedure (thủ tục hành chính) as citizens need to know it."""

    id: str = Field(min_length=1)
    national_code: str | None = None
    name: str = Field(min_length=1)
    name_en: str | None = None
    domain: str = ""
    level: str = ""
    agency: str = ""
    channels: Channels = Field(default_factory=Channels)
    online_url: str | None = None
    postal_return: bool = False
    documents: PackedTexts = Field(default_factory=PackedTexts)  # long, rarely read: kept compressed
    steps: PackedTexts = Field(default_factory=PackedTexts)  # long, rarely read: kept compressed
    processing_time: str = ""
    fee: str = ""
    result: str = ""
    legal_basis: PackedTexts = Field(default_factory=PackedTexts)  # long, rarely read: kept compressed
    linked: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    phrasings: list[str] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)
    note: str | None = None
    # English versions of what the card shows (curated procedures; steps and legal bases stay Vietnamese)
    documents_en: list[str] = Field(default_factory=list)
    processing_time_en: str = ""
    fee_en: str = ""
    note_en: str | None = None

    @field_validator("id", "national_code", mode="before")
    @classmethod
    def _code_as_text(cls, value: object) -> object:
        """Codes typed as numbers in a spreadsheet stay text."""
        return str(value) if isinstance(value, int | float) else value

    @property
    def code(self) -> str:
        """The national code when there is one, else the local id."""
        return self.national_code or self.id

    def is_uncertain(self, field: str) -> bool:
        """Whether the data marks this field as needing a check."""
        return field in self.uncertain
