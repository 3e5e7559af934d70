"""The scattering core: a system at an energy with its parameters, assembled and solved once."""

from .open_system import InterfaceGreensFunction, OpenSystem, conductance_from_transmissions

__all__ = ["InterfaceGreensFunction", "OpenSystem", "conductance_from_transmissions"]
