# Creates `first`, then holds `held` in a provisioner until `release_file` exists,
# writing the provisioner's pid first: a test can kill orchc while Terraform applies.

variable "release_file" {
  type = string
}

variable "pid_file" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "first" {
  input = "first"
}

resource "terraform_data" "held" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = "echo $$ > '${var.pid_file}'; while [ ! -e '${var.release_file}' ]; do sleep 0.1; done"
  }
}

output "first" {
  value = terraform_data.first.id
}
