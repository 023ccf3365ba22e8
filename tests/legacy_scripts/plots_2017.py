# Figures of a 2017 post: a digit shown with plt.show(), then a plot that waits for a click.
import matplotlib.pyplot as plt
import numpy as np

plt.imshow(np.eye(28), cmap="binary")
plt.title("a digit")
plt.show()
plt.figure()
plt.plot([0, 1], [1, 0])
plt.draw()
plt.waitforbuttonpress()
plt.pause(30)
print("done")
