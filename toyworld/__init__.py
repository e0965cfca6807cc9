"""A tiny procedural world of captioned 32 x 32 scenes with exact edits and an exact reader, and a small
rectified-flow text-to-image model trained on it (bench/toyworld_train.py), to measure what an edit does.

world: scenes, render, caption, tokenize. edits: edits with exact answers. reader: image -> scene.
network: the DiT and its text embedding. sampling: Euler with CFG. weights: the shipped weights. Pure torch.
"""
