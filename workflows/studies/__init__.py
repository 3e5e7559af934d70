"""The physics studies: one physical question each, built on the scattering core.

Hall and bend resistances (:mod:`.hall`), QPC steps (:mod:`.point_contact`),
Aharonov–Bohm interference (:mod:`.interference`), the phase-coherence length
and the ballistic-to-Ohmic crossover (:mod:`.coherence`, :mod:`.dephasing_studies`),
thermoelectric coefficients (:mod:`.thermoelectric`), multi-terminal heat and
charge transport (:mod:`.heat`) and finite-bias I–V curves (:mod:`.current_voltage`).
Their public names are exported by :mod:`workflows`.
"""
