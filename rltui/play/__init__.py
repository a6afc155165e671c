"""Play: keyboard maps, human sessions and frame renderers (terminal half-blocks, pygame window)."""
