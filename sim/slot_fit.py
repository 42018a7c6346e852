"""Consultations longer than the slots they are booked in, from a scenario's inputs alone.

A booked slot is a promise of time: the next patient is booked at its end. Where a role's
mean consultation of a contact type, with the notes it leaves (``notes``, T15), is longer
than the slot it is booked in, that person runs later with every such booking: the patients
after wait, and the day ends in overtime. Like :mod:`sim.phone_load`, the figure uses no
simulation output, so it says which inputs make a day overrun before any run: a consultant
lengthens the slot, or shortens the consultation, or accepts the overtime knowingly.

The mean is an ordinary patient's: a complex patient's consultation is longer by
``population.morbid_duration_factor``, and a consultation whose history a colleague took
first is shorter (``history_taking``); neither is counted here.
"""
from __future__ import annotations

from dataclasses import dataclass

from sim.engine.book import EPS  # a mean longer than its slot by rounding only still fits
from sim.engine.model import CompiledScenario
from sim.scenario.checks import arising_types, same_day_types

#: What is said where every consultation fits its slot.
FITS = "Every consultation fits its slot on average, notes included."


@dataclass(frozen=True)
class SlotOverrun:
    """One role's consultations of one contact type, longer on average than their slot."""

    role: str
    contact_type: str
    slots: str         # the slots' kind: "planned" or "acute"
    slot_min: float
    mean_min: float    # with the notes, where the durations are face time

    @property
    def over_min(self) -> float:
        return self.mean_min - self.slot_min


def booked_types(model: CompiledScenario) -> dict[str, frozenset[str]]:
    """Slot kind -> the contact types that can be booked in such slots. Planned slots take
    every consultation that arises, except those handled in the inbox or on a home visit
    (a call triaged to a later day books one too); acute slots take the same-day needs
    triage sends there, and every planned type where the carve-out releases them to
    planned booking (``booking.release_acute_days``)."""
    s = model.scenario
    elsewhere = {c for d in s.demand.values() if d.channel != "inbox" for c in d.mix}
    inbox_only = ({c for d in s.demand.values() if d.channel == "inbox" for c in d.mix}
                  - elsewhere - {s.follow_ups.contact_type})
    planned = (arising_types(s) - inbox_only
               - {s.triage.home_visit_type, s.triage.e_consultation_type})
    acute = set(same_day_types(s))
    if s.booking.release_acute_days is not None:
        acute |= planned
    return {"planned": frozenset(planned), "acute": frozenset(acute)}


def overruns(model: CompiledScenario) -> list[SlotOverrun]:
    """Every (role, contact type, slot kind, slot length) whose mean consultation, notes
    included, is longer than the slot, for the roles the type's route (or its route for
    complex patients) allows and who hold such slots on some weekday; longest overrun
    first."""
    types = booked_types(model)
    allowed = {ctype: {*model.route_order.get(ctype, ()),
                       *model.complex_route_order.get(ctype, ())}
               for kind in types.values() for ctype in kind}  # complex patients' too
    found: dict[tuple[str, str, str, float], SlotOverrun] = {}
    for person in model.everyone:
        for block in person.plan:
            if block.slots not in types:
                continue
            for ctype in sorted(types[block.slots]):
                if (person.role not in allowed[ctype]
                        or (block.group_size is not None) != (ctype in model.group_types)
                        or (person.remote and ctype not in model.remote_types)):
                    continue
                mean = (model.service_by_role[person.role][ctype].mean
                        * model.notes_by_role[person.role][ctype])
                key = (person.role, ctype, block.slots, block.slot_min)
                if mean > block.slot_min + EPS and key not in found:
                    found[key] = SlotOverrun(*key, mean)
    return sorted(found.values(), key=lambda o: (-o.over_min, o.role, o.contact_type))


def overrun_sentence(found: list[SlotOverrun]) -> str:
    """The overruns in words, one clause per role and slot, longest first ('' if none)."""
    if not found:
        return ""
    groups: dict[tuple[str, str, float], list[SlotOverrun]] = {}
    for o in found:
        groups.setdefault((o.role, o.slots, o.slot_min), []).append(o)
    clauses = []
    for (role, slots, slot_min), items in groups.items():
        kinds = ", ".join(f"{o.contact_type.replace('_', ' ')} {o.mean_min:.1f}"
                          for o in items)
        clauses.append(f"in the {role} role's {slot_min:g}-minute {slots} slots, {kinds} "
                       "minutes")
    return ("Consultations longer than their slots on average, notes included: "
            + "; ".join(clauses) + ". Each such booking runs into the next: the patients "
            "after it wait and the day ends later. Longer slots (`slot_min`), or shorter "
            "consultations, make them fit.")


def slot_note(scenario) -> str:
    """The note ``validate``, ``run``, ``explain`` and a run's conclusion give for
    ``scenario`` ('' where every consultation fits its slot)."""
    return overrun_sentence(overruns(CompiledScenario(scenario)))
