# A live-chart helper in the style of the "TensorFlow without a PhD" codelab's
# tensorflowvisu.py: a style file next to it loaded by a relative name, the window title
# through fig.canvas.set_window_title, a draggable legend, and the training driven by a
# matplotlib FuncAnimation whose step function calls the script back.
import matplotlib.pyplot as plt

plt.style.use(["ggplot", "visu_helper.mplstyle"])
import matplotlib.animation as animation  # noqa: E402


class DataVis:
    def __init__(self):
        self.x, self.acc = [], []
        fig = plt.figure(figsize=(4, 3), dpi=50)
        plt.gcf().canvas.set_window_title("MNIST")
        ax = fig.add_subplot(111)
        (self.line,) = ax.plot([], [], label="accuracy")
        legend = ax.legend(loc="lower right")
        legend.draggable(True)
        self.ax, self.fig = ax, fig

    def append(self, x, accuracy):
        self.x.append(x)
        self.acc.append(accuracy)

    def animate(self, compute_step, iterations, freq=10):
        def animate_step(i):
            for k in range(freq):
                compute_step(i * freq + k)
                plt.pause(0.001)
            for band in list(self.ax.collections):  # last frame's band, as the codelab does
                self.ax.collections.remove(band)
            self.ax.fill_between(self.x, [a - 0.05 for a in self.acc], self.acc, alpha=0.3)
            self.line.set_data(self.x, self.acc)
            self.ax.set_xlim(0, max(self.x) + 1)
            return (self.line,)

        self._animation = animation.FuncAnimation(
            self.fig, animate_step, iterations // freq, interval=16, repeat=False, blit=False)
        plt.show(block=True)
