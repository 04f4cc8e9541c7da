"""The domain: plain, typed, Dagster-free modules by pipeline stage.

Each stage imports only the stages below it: verify > tree > parse > observe > intake > plan > pdf > common
(checked by `.importlinter`).
"""
