"""Pure domain: values and rules with no I/O and no imports of the rest of openvias."""
