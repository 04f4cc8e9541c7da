"""The only code the orchestrator and the GPU worker share: the job contract and the redaction of what leaves.

Imports nothing of this project (enforced by `.importlinter`), so it ships unchanged in the GPU image.
"""
