//! Anonymous pipes and FIFOs.
