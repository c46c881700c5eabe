"""Extraction settings: which countries we watch and extra words that mark trade talks."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ExtractConfig:
    # ISO codes ("EU" included). Empty = every country in the gazetteer counts as watched.
    watched_countries: tuple[str, ...] = ()
    extra_talk_terms: tuple[str, ...] = ()  # more words that mark trade-talk news ("FTA", "CEPA", ...)
    extra_offtopic_terms: tuple[str, ...] = ()  # more headline words that mark other news
    gazetteer_path: str | None = None  # None = tasks/data/gazetteer.toml

    @classmethod
    def from_dict(cls, data: dict | None) -> ExtractConfig:
        """From the `[extract]` table of the TOML config; unknown keys are an error."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown [extract] keys: {', '.join(unknown)}")
        for key in ("watched_countries", "extra_talk_terms", "extra_offtopic_terms"):
            if key in data:
                value = data[key]
                if isinstance(value, str):
                    value = [value]
                data[key] = tuple(str(v).upper() if key == "watched_countries" else str(v) for v in value)
        return cls(**data)

    def watches(self, code: str) -> bool:
        return not self.watched_countries or code in self.watched_countries
