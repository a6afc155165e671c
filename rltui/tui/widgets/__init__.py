"""Widgets the screens share: boards, half-block frames, the reward chart, the Q heatmap."""
