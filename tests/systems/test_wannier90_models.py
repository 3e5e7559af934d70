"""systems.wannier90 on hand-written models: round trip through Wannier90's format, spin."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

from systems.wannier90 import (
    TightBindingModel,
    Wannier90Crystal,
    from_wannier90,
    read_wannier90,
    wannier90_device,
    write_wannier90,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

A = 2.504  # hBN lattice constant (Å)
T1, T2, GAP = -2.7, 0.12, 1.3  # eV: nearest and next-nearest hopping, B-N on-site difference


def hbn(spin: str | None = None, rashba: float = 0.0) -> TightBindingModel:
    """hBN-like honeycomb model in a 3D cell (c = 10 Å); spinful copies when ``spin`` is given."""
    L = np.array([[A, 0, 0], [A / 2, A * np.sqrt(3) / 2, 0], [0, 0, 10.0]])
    pos = np.array([[0, 0, 0], [0, A / np.sqrt(3), 0]])
    h: dict[tuple, np.ndarray] = {}

    def add(R, m, n, value):
        for key, (i, j, v) in ((R, (m, n, value)), (tuple(-r for r in R), (n, m, np.conj(value)))):
            h.setdefault(key, np.zeros((2, 2), complex))[i, j] += v

    h[(0, 0, 0)] = np.diag([GAP / 2, -GAP / 2]).astype(complex)
    for R in [(0, 0, 0), (0, -1, 0), (1, -1, 0)]:
        add(R, 0, 1, T1)
    for R in [(1, 0, 0), (0, 1, 0), (-1, 1, 0)]:
        add(R, 0, 0, T2)
        add(R, 1, 1, T2)
    if spin is None:
        return TightBindingModel(L, pos, h)
    sx = np.array([[0, 1], [1, 0]])
    hs = {}
    for R, m in h.items():
        spinful = np.kron(np.eye(2), m) if spin == "blocks" else np.kron(m, np.eye(2))
        hs[R] = spinful
    if rashba:  # a spin-flip (sigma_x) term on the nearest-neighbour bonds, Hermitian pairs
        for R in [(0, 0, 0), (0, -1, 0), (1, -1, 0)]:
            flip = np.zeros((2, 2), complex)
            flip[0, 1] = 1j * rashba
            term = np.kron(sx, flip) if spin == "blocks" else np.kron(flip, sx)
            hs[R] = hs[R] + term
            minus = tuple(-r for r in R)
            hs[minus] = hs[minus] + term.conj().T
    positions = np.vstack([pos, pos]) if spin == "blocks" else np.repeat(pos, 2, axis=0)
    return TightBindingModel(L, positions, hs, spin)


def test_handwritten_model_is_hermitian():
    for model in (hbn(), hbn("blocks", 0.05), hbn("interleaved", 0.05)):
        assert model.hermiticity_error() == 0.0  # built in exact conjugate pairs


def test_round_trip_through_wannier90_files(tmp_path):
    model = hbn()
    files = write_wannier90(model, tmp_path / "hbn")
    back = read_wannier90(files["hr_file"], win_file=files["win_file"], xyz_file=files["xyz_file"])
    assert back.hermiticity_error() < 1e-15  # H(R) = H(-R)^dagger after the read
    np.testing.assert_allclose(back.lattice_vectors, model.lattice_vectors, rtol=0, atol=1e-14)
    k = np.random.default_rng(0).uniform(-0.5, 0.5, size=(5, 3))
    # TBmodels maps the centres into the home cell (a gauge change of H(k)): compare spectra
    np.testing.assert_allclose(
        np.linalg.eigvalsh(back.bloch_hamiltonian(k)),
        np.linalg.eigvalsh(model.bloch_hamiltonian(k)),
        rtol=0,
        atol=1e-14,
    )
    # the same Kwant system (%.17g keeps every bit; TBmodels' averaging of R and -R costs < 1e-15)
    direct = Wannier90Crystal(model, atoms=model.positions)
    read = Wannier90Crystal(back, atoms=model.positions)
    assert [(b.delta, b.family_to, b.family_from) for b in read.blocks] == [
        (b.delta, b.family_to, b.family_from) for b in direct.blocks
    ]
    for got, want in zip(read.blocks + read.onsite, direct.blocks + direct.onsite, strict=True):
        got, want = getattr(got, "matrix", got), getattr(want, "matrix", want)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
    h_direct = kwant.wraparound.wraparound(direct.bulk()).finalized()
    h_read = kwant.wraparound.wraparound(read.bulk()).finalized()
    for kk in k:
        p = {"k_x": 2 * np.pi * kk[0], "k_y": 2 * np.pi * kk[1], "k_z": 2 * np.pi * kk[2]}
        np.testing.assert_allclose(
            h_read.hamiltonian_submatrix(params=p),
            h_direct.hamiltonian_submatrix(params=p),
            atol=1e-14,
        )


def ribbon(crystal, **kwargs):
    cross = lambda p: -0.1 <= p[1] <= 4 * A and abs(p[2]) < 1  # noqa: E731
    shape = lambda p: cross(p) and abs(p[0]) <= 3 * A  # noqa: E731
    return wannier90_device(
        crystal, shape, (0, 0, 0), lead_direction=(1, 0, 0), lead_shape=cross, **kwargs
    )


@pytest.mark.parametrize("ordering", ["blocks", "interleaved"])
def test_spin_up_block_conducts_as_the_spinless_model(ordering):
    spinless = Wannier90Crystal(hbn(), tolerance=0.1)
    spinful = Wannier90Crystal(hbn(ordering), tolerance=0.1)
    assert [f.norbs for f in spinful.families] == [2, 2]
    law = spinful.spin_conservation_law()
    f_spin = ribbon(spinful, conservation_law=law).finalized()
    f_plain = ribbon(spinless).finalized()
    for energy in (1.2, 2.9, -3.3):
        t_plain = kwant.smatrix(f_plain, energy).transmission(1, 0)
        s = kwant.smatrix(f_spin, energy)
        # blocks are ordered by the eigenvalues of S_z: -1 (down) first, then +1 (up)
        assert s.transmission((1, 1), (0, 1)) == pytest.approx(t_plain, abs=1e-9)
        assert s.transmission((1, 0), (0, 0)) == pytest.approx(t_plain, abs=1e-9)
        assert s.transmission((1, 0), (0, 1)) == pytest.approx(0, abs=1e-12)


def test_spin_orbit_model_refuses_sz():
    crystal = Wannier90Crystal(hbn("blocks", rashba=0.05), tolerance=0.1)
    with pytest.raises(ValueError, match="S_z is not conserved"):
        crystal.spin_conservation_law()
    with pytest.raises(ValueError, match="spinless model has no S_z"):
        Wannier90Crystal(hbn(), tolerance=0.1).spin_conservation_law()


def test_spinor_files_without_an_ordering_are_refused(tmp_path):
    files = write_wannier90(hbn("blocks"), tmp_path / "spin")
    with pytest.raises(ValueError, match="spinors must be 'blocks' or 'interleaved'"):
        from_wannier90(
            files["hr_file"],
            win_file=files["win_file"],
            xyz_file=files["xyz_file"],
            sites="centres",
        )
    crystal = from_wannier90(
        files["hr_file"],
        win_file=files["win_file"],
        xyz_file=files["xyz_file"],
        sites="centres",
        spinors="blocks",
        tolerance=0.1,
    )
    assert [f.norbs for f in crystal.families] == [2, 2]


def test_bad_inputs_name_the_argument(tmp_path):
    crystal = Wannier90Crystal(hbn(), tolerance=0.1)
    with pytest.raises(ValueError, match="direction must be 3 integers"):
        crystal.period((0.5, 0, 0))
    with pytest.raises(ValueError, match="spinors must be"):
        read_wannier90("x", win_file="y", xyz_file="z", spinors="updown")
    with pytest.raises(ValueError, match="hr_file must be an existing file"):
        read_wannier90(tmp_path / "none_hr.dat", win_file="y", xyz_file="z")
    with pytest.raises(TypeError, match="lead_shape must be a function"):
        wannier90_device(
            crystal, lambda p: True, (0, 0, 0), lead_direction=(1, 0, 0), lead_shape=None
        )
