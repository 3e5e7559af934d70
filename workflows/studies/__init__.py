"""The physics studies: one physical question each, built on the scattering core.

Hall and bend resistances (:mod:`.hall`), QPC steps (:mod:`.point_contact`),
Aharonov–Bohm interference (:mod:`.interference`, its rings and point functions in
:mod:`.ring_points`), the phase-coherence length
and the ballistic-to-Ohmic crossover (:mod:`.coherence`, :mod:`.dephasing_studies`),
thermoelectric coefficients (:mod:`.thermoelectric`), multi-terminal heat and
charge transport (:mod:`.heat`), finite-bias I–V curves (:mod:`.current_voltage`) and
gate scans in the self-consistent potential (:mod:`.gate_scans`).
Every study is exported here; the everyday ones also by :mod:`workflows`.
"""

from workflows.exports import exported_attribute

#: Public name -> the module that defines it (imported on first use).
_EXPORTS = {
    "ab_oscillations": "workflows.studies.interference",
    "conductance_grid": "workflows.studies.heat",
    "cross_resistance_scan": "workflows.studies.hall",
    "disorder_ensemble": "workflows.studies.interference",
    "four_terminal_reciprocity": "workflows.studies.interference",
    "heat_transport": "workflows.studies.heat",
    "iv_curve": "workflows.studies.current_voltage",
    "localization_study": "workflows.studies.dephasing_studies",
    "measure_coherence_length": "workflows.studies.coherence",
    "ohmic_crossover_study": "workflows.studies.dephasing_studies",
    "onsager_matrix": "workflows.studies.heat",
    "potential_profile_study": "workflows.studies.dephasing_studies",
    "probe_iv_curve": "workflows.studies.finite_bias",
    "qpc_conductance": "workflows.studies.point_contact",
    "quantum_hall_scan": "workflows.studies.hall",
    "resistance_vs_length": "workflows.studies.coherence",
    "self_consistent_gate_scan": "workflows.studies.gate_scans",
    "ring_arm_length": "workflows.studies.interference",
    "thermoelectric_table": "workflows.studies.thermoelectric",
    "visibility_vs_dephasing": "workflows.studies.interference",
    "visibility_vs_temperature": "workflows.studies.interference",
}

__all__ = [
    "ab_oscillations",
    "conductance_grid",
    "cross_resistance_scan",
    "disorder_ensemble",
    "four_terminal_reciprocity",
    "heat_transport",
    "iv_curve",
    "localization_study",
    "measure_coherence_length",
    "ohmic_crossover_study",
    "onsager_matrix",
    "potential_profile_study",
    "probe_iv_curve",
    "qpc_conductance",
    "quantum_hall_scan",
    "resistance_vs_length",
    "ring_arm_length",
    "self_consistent_gate_scan",
    "thermoelectric_table",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
]


def __getattr__(name: str):
    return exported_attribute(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__
