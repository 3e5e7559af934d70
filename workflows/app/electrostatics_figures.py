"""Gallery figures of self-consistent electrostatics (issue 23).

Two recipes, registered in :data:`workflows.app.figures.FIGURES`:

* ``qpc_self_consistent_potential`` — a GaAs split-gate QPC (2DEG 50 nm deep, donors
  4×10¹¹ cm⁻² 20 nm below a pinned surface): the Thomas–Fermi self-consistent potential U
  at the gas, the bare gate potential U₀ through the saddle, and the conductance G(V_g) in
  the self-consistent potential with the Thomas–Fermi pinch-off voltage marked;
* ``iv_self_consistency`` — the I–V curve of a gated chain between two contacts with the
  Hartree (quantum-density) self-consistent potential, next to the imposed rigid and
  linear drops holding the zero-bias self-consistent potential, and the currents again
  with every voltage shifted by one constant (gauge invariance, Christen & Büttiker,
  Europhys. Lett. 35, 523 (1996)).

Conventions as in ``docs/electrostatics.md``: lengths in nm, voltages in V from the
electrochemical potential of the gas (μ = 0), the on-site term U = −eφ in eV.
"""

from __future__ import annotations

from collections.abc import Mapping

import kwant
import numpy as np
import pandas as pd

import systems
from analysis import plots
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SheetCharge,
    SiteElectrostatics,
    SitePotential,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import (
    HartreeDevice,
    hartree,
    parabolic_2d,
    pinch_off_voltage,
    thomas_fermi,
)
from workflows.scattering.conductance import conductance_vs_energy
from workflows.studies.current_voltage import iv_curve

__all__ = ["ELECTROSTATICS_RECIPES"]

# --- The split-gate QPC (GaAs, nm and V) ---------------------------------------------------

#: The QPC's layout, nm: the simulated region (its sides are mirror planes), the depth of
#: the gas, the fingers' length along x and the gap between them, the donor sheet.
QPC = {
    "length": 400.0,
    "width": 240.0,
    "depth": 50.0,
    "finger": 80.0,
    "gap": 100.0,
    "donors_cm2": 4e11,
    "donor_depth": 20.0,
    "eps_r": 12.9,
}
_SHOWN_VOLTAGE = -0.4  # V on both fingers, for the map


def _finger(sign: float) -> Gate:
    half, inner = QPC["finger"] / 2, sign * QPC["gap"] / 2
    outer = sign * 1e5
    return Gate(
        "top" if sign > 0 else "bottom",
        [(-half, inner), (half, inner), (half, outer), (-half, outer)],
    )


def _qpc_electrostatics(lattice_constant: float, spacing: float):
    """The QPC's wire, units, the map at its sites and the saddle's index."""
    layout = Layout(
        gates=[_finger(1.0), _finger(-1.0)],
        depth=QPC["depth"],
        eps_r=QPC["eps_r"],
        charges=[SheetCharge(-QPC["donor_depth"], QPC["donors_cm2"])],
        far_field="free",  # mirror planes: the gas continues beyond the region
    )
    region = [(-QPC["length"] / 2, QPC["length"] / 2), (-QPC["width"] / 2, QPC["width"] / 2)]
    problem = PoissonProblem(layout, layout_grid(layout, region, spacing, box=region))
    units = systems.Units.for_material("GaAs", lattice_constant)
    length = round(QPC["length"] / lattice_constant)
    width = round(QPC["width"] / lattice_constant)
    fsyst = systems.wire(length, width).finalized()
    # cell centres: the four sites nearest the centre are equivalent by symmetry
    origin = (-(length - 1) * lattice_constant / 2, -(width - 1) * lattice_constant / 2)
    positions = site_positions(fsyst, units, origin=origin, height=-QPC["depth"])
    saddle = int(np.argmin(np.hypot(positions[:, 0], positions[:, 1])))
    return fsyst, units, SiteElectrostatics(problem, positions), saddle


def _qpc_conductance(fsyst, units, solution, ends) -> float:
    """G (2e²/h) in the Thomas–Fermi potential; the leads continue the gas at the ends."""
    lead_energy = float(solution.energy[ends].mean())  # eV: E_c − E_c⁰ where the leads attach
    potential = SitePotential(fsyst, solution.energy - lead_energy, units=units)
    fermi = units.energy_in_t(-lead_energy * 1e3)  # μ above the leads' band bottom, t
    params = {"t": 1.0, "V": potential, "B": 0.0, "disorder": 0.0, "salt": "0"}
    return float(conductance_vs_energy(fsyst, [fermi], params=params)["G"].iloc[0])


def _qpc_compute(quick: bool) -> dict[str, pd.DataFrame]:
    # The sites sit at the centres of cells of the 10 nm Poisson mesh (a divides it), so that
    # a uniform gas deposits a uniform charge.  Quick: a = 10 nm (E_F ≈ t: a coarse band).
    lattice_constant, spacing = (10.0, 10.0) if quick else (5.0, 10.0)
    fsyst, units, es, saddle = _qpc_electrostatics(lattice_constant, spacing)
    band = parabolic_2d(units)
    positions = es.positions
    ends = np.isclose(positions[:, 0], positions[:, 0].min())
    if quick:
        voltages = np.concatenate([[0.0], np.linspace(-0.25, -0.7, 10)])
    else:
        voltages = np.linspace(0.0, -0.7, 71)
    states, state = [], None
    for voltage in voltages:  # warm start from the previous gate voltage
        state = thomas_fermi(es, {"top": voltage, "bottom": voltage}, band, initial=state)
        states.append(state)
    opening = np.array([-s.energy[saddle] for s in states])  # μ − E_c at the saddle, eV
    closed = int(np.argmax(opening < 0))
    pinch = pinch_off_voltage(
        es,
        {"top": 1, "bottom": 1},
        band,
        saddle,
        (voltages[closed - 1], voltages[closed]),
        tolerance=1e-4,
    )
    arms = es.lever_arms()
    lever = -(arms["top"] + arms["bottom"])[saddle]
    donors = float(es.bare_energy({})[saddle])
    scan = pd.DataFrame(
        {
            "V_g": voltages,
            "G": [_qpc_conductance(fsyst, units, s, ends) for s in states],
            "opening_meV": opening * 1e3,
            "density_cm2_centre": [
                s.density[saddle] / units.lattice_constant_nm**2 * 1e14 for s in states
            ],
        }
    )
    shown = thomas_fermi(
        es, {"top": _SHOWN_VOLTAGE, "bottom": _SHOWN_VOLTAGE}, band, initial=states[0]
    )
    sites = pd.DataFrame(
        {
            "x": positions[:, 0],
            "y": positions[:, 1],
            "U_bare_meV": es.bare_energy({"top": _SHOWN_VOLTAGE, "bottom": _SHOWN_VOLTAGE}) * 1e3,
            "U_meV": shown.energy * 1e3,
            "n_cm2": shown.density / units.lattice_constant_nm**2 * 1e14,
        }
    )
    attrs = {
        **QPC,
        "lattice_constant": lattice_constant,
        "mesh_spacing": spacing,
        "band": band.name,
        "sites": len(positions),
        "saddle": saddle,
        "V_shown": _SHOWN_VOLTAGE,
        "V_pinch": pinch.voltage,
        "V_pinch_bare": donors / lever,  # U₀ = U_donors − eV × lever reaches μ = 0
        "G_pinch": _qpc_conductance(fsyst, units, pinch.solution, ends),
        "pinch_evaluations": pinch.evaluations,
        "degeneracy": units.degeneracy,
    }
    scan.attrs = dict(attrs)
    sites.attrs = dict(attrs)
    return {"sites": sites, "scan": scan}


def _qpc_draw(data: Mapping[str, pd.DataFrame]):
    sites, scan = data["sites"], data["scan"]
    figure, (left, middle, right) = plots.new_figure(1, 3, figsize=(14, 3.6))
    positions = sites[["x", "y"]].to_numpy()
    plots.plot_site_map(positions, sites["U_meV"], ax=left, cmap="magma", label="$U$ (meV)")
    left.set(xlabel="$x$ (nm)", ylabel="$y$ (nm)")
    left.set_title(f"self-consistent $U$ at $V_g$ = {sites.attrs['V_shown']} V", fontsize="medium")
    cut = sites[np.isclose(sites["x"], sites["x"].iloc[sites.attrs["saddle"]])]
    middle.plot(cut["y"], cut["U_bare_meV"], label="bare gates $U_0$")
    middle.plot(cut["y"], cut["U_meV"], label="Thomas–Fermi $U$")
    middle.axhline(0.0, color="k", lw=0.8, ls=":", label=r"$\mu$")
    middle.set(xlabel="$y$ (nm) through the saddle", ylabel=r"$E_c - \mu$ (meV)")
    middle.set_title("the gas screens the gates", fontsize="medium")
    middle.legend(frameon=False, fontsize="small")
    plots.quantized_grid(right, scan["G"])
    right.plot(scan["V_g"], scan["G"], "o-", ms=3, label="self-consistent potential")
    right.axvline(scan.attrs["V_pinch"], color="C3", ls="--", label="$V_p$ (Thomas–Fermi)")
    right.axvline(scan.attrs["V_pinch_bare"], color="0.5", ls=":", label="$V_p$ (bare gates)")
    right.set(xlabel="$V_g$ (V)", ylabel="$G$ ($2e^2/h$)")
    right.set_title("conductance steps and pinch-off", fontsize="medium")
    right.legend(frameon=False, fontsize="small")
    return figure


# --- I–V of a gated chain with and without self-consistency --------------------------------

CHAIN = {"sites": 12, "a": 10.0, "depth": 20.0, "eps_r": 100.0, "gate": -0.1}
_FERMI, _TEMPERATURE = 0.5, 0.05  # t (= eV: t = 1 eV)


def _chain_onsite(site, V):
    return 2.0 + V(*site.pos)


def _source_band(site, V_source):
    return 2.0 + V_source


def _drain_band(site, V_drain):
    return 2.0 + V_drain


def gated_chain(sites: int = CHAIN["sites"], shift: float = 0.0) -> HartreeDevice:
    """A chain (a = 10 nm, t = 1 eV) between two contact sheets, a top gate over its middle.

    The leads' bands follow their contacts (parameters ``V_source``, ``V_drain``); every
    face of the Poisson box is free, so every Dirichlet value is a voltage of the problem
    and ``shift`` (V) moves all of them (contacts and gate) together.
    """
    lat = kwant.lattice.chain(norbs=1)
    builder = kwant.Builder()
    builder[(lat(i) for i in range(sites))] = _chain_onsite
    builder[lat.neighbors()] = -1.0
    for band, direction in ((_source_band, -1), (_drain_band, 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction,)))
        lead[lat(0)] = band
        lead[lat.neighbors()] = -1.0
        builder.attach_lead(lead)
    fsyst = builder.finalized()
    a, depth = CHAIN["a"], CHAIN["depth"]
    length = (sites - 1) * a
    layout = Layout(
        gates=[
            Gate("source", (-1e3, -a), height=-depth),
            Gate("drain", (length + a, length + 1e3), height=-depth),
            Gate("gate", (0.3 * length, 0.7 * length), height=0.0),
        ],
        depth=depth,
        eps_r=CHAIN["eps_r"],
        surface="free",
        far_field="free",
    )
    problem = PoissonProblem(layout, layout_grid(layout, [(-2 * a, length + 2 * a)], a / 2))
    units = systems.Units(a, t_meV=1000.0)
    positions = site_positions(fsyst, units, origin=(0.0,), height=-depth)
    return HartreeDevice(
        fsyst,
        SiteElectrostatics(problem, positions),
        units,
        contacts=("source", "drain"),
        lead_potentials=("V_source", "V_drain"),
        voltages={"source": shift, "drain": shift, "gate": CHAIN["gate"] + shift},
    )


def _iv_compute(quick: bool) -> pd.DataFrame:
    # Quick: a 6-site chain at one bias, the energy grids to 1e-4 and the Hartree densities
    # to 1e-8 per orbital (seconds, for the tests).
    sites = 6 if quick else CHAIN["sites"]
    biases = np.array([0.3]) if quick else np.linspace(0.05, 0.6, 12)
    shift = 0.3  # V on every contact and gate (= 0.3 t: t = 1 eV)
    device = gated_chain(sites)
    common = {"temperature": _TEMPERATURE, "tol": 1e-4 if quick else 1e-6}
    fixed = dict(hartree(device, energy=_FERMI, temperature=_TEMPERATURE).params)
    rows = []
    for name, offset in (("as built", 0.0), ("all voltages +0.3 V", shift)):
        moved = gated_chain(sites, shift=offset)
        curves = {
            "self-consistent": iv_curve(
                moved.fsyst,
                _FERMI,
                biases,
                drop="self-consistent",
                electrostatics=moved,
                density_tol=1e-8 if quick else 1e-10,  # K × 1e-8 e ≈ 1e-9 eV: far below tol
                **common,
            ),
            # The imposed drops hold the zero-bias self-consistent U while the reservoirs
            # move by −e × offset: μ = E_F − e·offset.
            "rigid": iv_curve(
                device.fsyst, _FERMI - offset, biases, params=fixed, drop="rigid", **common
            ),
            "linear": iv_curve(
                device.fsyst, _FERMI - offset, biases, params=fixed, drop="linear", **common
            ),
        }
        for drop, curve in curves.items():
            rows.append(
                pd.DataFrame(
                    {
                        "bias": curve["bias"],
                        "current": curve["current"],
                        "drop": drop,
                        "gauge": name,
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    table.attrs = {
        **CHAIN,
        "sites": sites,
        "E_F": _FERMI,
        "temperature": _TEMPERATURE,
        "shift": shift,
        "units": "bias in V (= t/e), current in e·t/h",
    }
    return table


def _iv_draw(data: pd.DataFrame):
    figure, (left, right) = plots.new_figure(1, 2, figsize=(9.5, 3.6))
    drops = ("self-consistent", "rigid", "linear")
    for color, drop in enumerate(drops):
        built = data[(data["drop"] == drop) & (data["gauge"] == "as built")]
        moved = data[(data["drop"] == drop) & (data["gauge"] != "as built")]
        left.plot(built["bias"], built["current"], "o-", ms=3, color=f"C{color}", label=drop)
        change = np.abs(moved["current"].to_numpy() - built["current"].to_numpy())
        right.semilogy(
            built["bias"], np.maximum(change, 1e-16), "o-", ms=3, color=f"C{color}", label=drop
        )
    left.set(xlabel="bias $V$ (V)", ylabel=r"$I$ ($e t/h$)")
    left.set_title("gated chain: I–V with and without self-consistency", fontsize="medium")
    left.legend(frameon=False, fontsize="small")
    right.set(xlabel="bias $V$ (V)", ylabel=r"$|\Delta I|$ ($e t/h$)")
    right.set_title(f"shift every voltage by {data.attrs['shift']} V", fontsize="medium")
    right.legend(frameon=False, fontsize="small")
    return figure


ELECTROSTATICS_RECIPES = (
    (
        "qpc_self_consistent_potential",
        "GaAs split-gate QPC: Thomas-Fermi potential, bare vs screened saddle, G(V_g), pinch-off",
        _qpc_compute,
        _qpc_draw,
    ),
    (
        "iv_self_consistency",
        "Gated chain I-V: Hartree self-consistent vs rigid and linear drops; gauge shift",
        _iv_compute,
        _iv_draw,
    ),
)
