# Sleeps during apply, writing the sleeper's pid first, so a test can check that a
# timeout stops the whole process group.

variable "pid_file" {
  type = string
}

resource "terraform_data" "sleeper" {
  provisioner "local-exec" {
    command = "echo $$ > '${var.pid_file}'; exec sleep 120"
  }
}
