/* R14: the camera and microphone self-check (/check/).
 *
 * Everything stays in this page: the camera picture goes to the <video> on the
 * screen and the microphone only to a level meter. Nothing is recorded and
 * nothing is sent: this script makes no request of any kind. The texts live
 * in the template (translated there); this script only shows and hides them.
 */
(function () {
  "use strict";

  var root = document.getElementById("self-check");
  if (!root) {
    return;
  }
  var startButton = document.getElementById("check-start");
  var stopButton = document.getElementById("check-stop");
  var video = document.getElementById("check-video");
  var meter = document.getElementById("check-level");
  var devices = root.querySelector(".check-devices");
  var messages = root.querySelectorAll(".check-status [id]");

  var QUIET_LEVEL = 10; // out of 100: below this the microphone seems silent
  var QUIET_AFTER_MS = 6000;

  var stream = null;
  var audio = null;
  var frame = 0;
  var attempt = 0; // a stop while the browser is still asking cancels that attempt
  var heard = false;
  var quietTimer = 0;

  function show(names) {
    for (var i = 0; i < messages.length; i++) {
      var name = messages[i].id.replace(/^check-/, "");
      messages[i].hidden = names.indexOf(name) === -1;
    }
  }

  function reveal(name) {
    var element = document.getElementById("check-" + name);
    if (element) {
      element.hidden = false;
    }
  }

  function conceal(name) {
    var element = document.getElementById("check-" + name);
    if (element) {
      element.hidden = true;
    }
  }

  /* What went wrong, in the words of the messages in the template. */
  function problemOf(error) {
    var name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") {
      return "denied";
    }
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return "missing";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return "busy";
    }
    return "failed";
  }

  function ask(constraints) {
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  /* Ask for both; if one of them is missing, find out which and go on with the other. */
  function openDevices() {
    var camera = { facingMode: "user" };
    return ask({ video: camera, audio: true }).then(
      function (both) {
        return { stream: both, missing: [] };
      },
      function (error) {
        if (problemOf(error) !== "missing") {
          throw error;
        }
        return ask({ video: camera }).then(
          function (cameraOnly) {
            return { stream: cameraOnly, missing: ["no-microphone"] };
          },
          function (cameraError) {
            if (problemOf(cameraError) !== "missing") {
              throw cameraError;
            }
            return ask({ audio: true }).then(
              function (microphoneOnly) {
                return { stream: microphoneOnly, missing: ["no-camera"] };
              },
              function (microphoneError) {
                if (problemOf(microphoneError) !== "missing") {
                  throw microphoneError;
                }
                return { stream: null, missing: ["no-device"] };
              }
            );
          }
        );
      }
    );
  }

  /* The loudness of the last few milliseconds, 0–100 on a decibel scale (−60 dB to 0 dB). */
  function measure(analyser, samples) {
    analyser.getByteTimeDomainData(samples);
    var sum = 0;
    for (var i = 0; i < samples.length; i++) {
      var centred = (samples[i] - 128) / 128;
      sum += centred * centred;
    }
    var rms = Math.sqrt(sum / samples.length);
    if (rms <= 0) {
      return 0;
    }
    var level = ((20 * Math.log10(rms) + 60) / 60) * 100;
    return Math.max(0, Math.min(100, level));
  }

  function listen(source) {
    var AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) {
      return;
    }
    audio = new AudioContextClass();
    if (audio.state === "suspended" && audio.resume) {
      audio.resume();
    }
    var analyser = audio.createAnalyser();
    analyser.fftSize = 1024;
    // The analyser is a dead end: it is not connected to the speakers or to anything else.
    audio.createMediaStreamSource(source).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    var shown = 0;
    function tick() {
      var level = measure(analyser, samples);
      // Rise at once, fall slowly, so that a short sound stays readable on the bar.
      shown = Math.max(level, shown * 0.92);
      meter.value = Math.round(shown);
      if (level >= QUIET_LEVEL && !heard) {
        heard = true;
        conceal("quiet");
      }
      frame = window.requestAnimationFrame(tick);
    }
    frame = window.requestAnimationFrame(tick);
    quietTimer = window.setTimeout(function () {
      if (!heard) {
        reveal("quiet");
      }
    }, QUIET_AFTER_MS);
  }

  function release() {
    if (frame) {
      window.cancelAnimationFrame(frame);
      frame = 0;
    }
    if (quietTimer) {
      window.clearTimeout(quietTimer);
      quietTimer = 0;
    }
    if (audio) {
      audio.close();
      audio = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    meter.value = 0;
    heard = false;
  }

  function setRunning(running) {
    startButton.disabled = running;
    stopButton.disabled = !running;
    (running ? stopButton : startButton).focus();
  }

  function start() {
    if (!window.isSecureContext) {
      show(["insecure"]);
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(["unsupported"]);
      return;
    }
    release();
    attempt += 1;
    var mine = attempt;
    show(["asking"]);
    startButton.disabled = true;
    stopButton.disabled = false;
    openDevices().then(
      function (opened) {
        if (mine !== attempt) {
          // Stopped while the browser was asking: let go at once.
          if (opened.stream) {
            opened.stream.getTracks().forEach(function (track) {
              track.stop();
            });
          }
          return;
        }
        if (!opened.stream) {
          show(opened.missing);
          setRunning(false);
          return;
        }
        stream = opened.stream;
        show(["running"].concat(opened.missing));
        setRunning(true);
        // On a phone the picture sits below the buttons: bring it on screen, buttons kept in view.
        devices.scrollIntoView({ block: "nearest" });
        stream.getTracks().forEach(function (track) {
          track.addEventListener("ended", function () {
            if (stream && stream.getTracks().indexOf(track) !== -1) {
              release();
              show(["ended"]);
              setRunning(false);
            }
          });
        });
        if (stream.getVideoTracks().length) {
          video.srcObject = stream;
          var playing = video.play();
          if (playing && playing.catch) {
            playing.catch(function () {});
          }
        }
        if (stream.getAudioTracks().length) {
          listen(stream);
        }
      },
      function (error) {
        if (mine !== attempt) {
          return;
        }
        var problem = problemOf(error);
        show([problem === "missing" ? "no-device" : problem]);
        setRunning(false);
      }
    );
  }

  function stop() {
    attempt += 1;
    release();
    show(["stopped"]);
    setRunning(false);
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  // Leaving the page turns the camera and microphone off too.
  window.addEventListener("pagehide", function () {
    attempt += 1;
    release();
    show([]);
    startButton.disabled = false;
    stopButton.disabled = true;
  });
  root.hidden = false;
  if (!window.isSecureContext) {
    show(["insecure"]);
    startButton.disabled = true;
  }
})();
