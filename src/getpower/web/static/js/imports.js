// Upload with a progress bar (large files): the server then validates and shows its own progress.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  form.addEventListener("submit", function (ev) {
    const file = document.getElementById("file").files[0];
    if (!file || file.size < 1024 * 1024) return;  // small files: plain form post
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    document.getElementById("upload-progress").hidden = false;
    xhr.upload.onprogress = e => {
      if (!e.lengthComputable) return;
      document.getElementById("upload-bar").style.width = (100 * e.loaded / e.total) + "%";
      document.getElementById("upload-text").textContent = "上传中 " + Math.round(100 * e.loaded / e.total) + "%";
    };
    xhr.onload = () => { window.location = xhr.responseURL; };
    xhr.open("POST", window.location.pathname);
    xhr.send(new FormData(this));
  });
})();
